"""`malgraph check`: what in a project, lockfile, SBOM or archive is malicious, or like
something malicious, by the evidence of the local store. Nothing is sent anywhere."""
