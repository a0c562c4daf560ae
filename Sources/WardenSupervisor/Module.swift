// WardenSupervisor
