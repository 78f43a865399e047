/**
 * The tests' Redis: a real `redis-server` child process on a free loopback port (optionally with a
 * password and a TLS port), started and killed by the test. The benchmarks start it the same way,
 * so the code lives in bench/lib (benchmark scripts run from a copy that only sees bench/lib).
 */
export * from '../bench/lib/redis-server.js';
