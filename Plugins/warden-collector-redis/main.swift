// warden-collector-redis: Redis connection-pool collector plugin (docs/plugin-protocol.md).
// Speaks the JSON-lines protocol on stdin/stdout through WardenPluginKit; diagnostics go to stderr.
import WardenPluginKit

await PluginRunner.run(RedisCollector.self)
