// WardenAPI
