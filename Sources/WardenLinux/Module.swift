// WardenLinux
