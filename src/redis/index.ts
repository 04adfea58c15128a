export {
  type EmbeddedRedis,
  type EmbeddedRedisOptions,
  findFreePort,
  RedisBinaryMissingError,
  redisBinaryExists,
  startEmbeddedRedis,
} from './embedded-redis';
