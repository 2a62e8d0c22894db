"""The read model: the only place that turns stored rows into the typed objects (defined in
malgraph.core) that relations, insights, the report and every other reader take. One module
a domain; each function takes the connection and returns typed values, never rows."""
