// warden-collector-postgres: PostgreSQL connection-pool collector plugin (see PostgresCollector).
import WardenPluginKit

await PluginRunner.run(PostgresCollector.self)
