// warden-collector-redis: Redis connection-pool collector (being written).
print("{\"type\":\"error\",\"seq\":null,\"message\":\"not implemented yet\"}")
