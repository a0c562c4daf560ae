// WardenHTTP
