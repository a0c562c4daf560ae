// WardenClient
