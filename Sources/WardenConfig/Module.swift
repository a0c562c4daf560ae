// WardenConfig
