// warden-collector-postgres: PostgreSQL connection-pool collector (being written).
print("{\"type\":\"error\",\"seq\":null,\"message\":\"not implemented yet\"}")
