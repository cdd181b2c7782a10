/**
 * manifest-tool's library entry: the only module of manifest-tool/ that other Node code (the
 * server) may import (test/unit/architecture.test.ts). It builds and signs manifests in-process,
 * and holds the CLI helpers `swarmcdn serve` shares with the `swarmcdn` command. manifest-tool
 * never imports the server.
 */
export { buildManifest, DEFAULT_EXPIRES_MS, MANIFEST_FILE, type BuildOptions, type BuildResult } from './build.js';
export { loadSigningKey } from './key-files.js';
export { collect, exitCodeFor, failureLine, integerArg, USAGE_CODES } from './cli-shared.js';
