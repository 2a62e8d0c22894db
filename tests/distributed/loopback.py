"""Where a test cluster's scheduler serves its HTTP routes: a free port on the loopback. With
no dashboard address distributed still binds port 8787, so two clusters at once would collide."""

LOOPBACK_HTTP = "127.0.0.1:0"
