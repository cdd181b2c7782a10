/**
 * The highest manifest version this server has published for its site, with the SHA-256 of that
 * version's payload, kept in a small JSON file so it survives a restart. Without it a restarted
 * server would publish whatever version the file on disk holds (v3 after v7), which every service
 * worker that saw v7 refuses as a rollback, and an equal version with other content would replace
 * the live one. Written through a temp file, fsync and rename, so a crash leaves the old record or
 * the new one, never half of one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SwarmError } from '../../protocol/index.js';
import type { ResolvedServerOptions } from '../options.js';

/** One published version: its number and the hex SHA-256 of its signed payload. */
export interface PublishMark {
  readonly version: number;
  readonly payloadSha256: string;
}

/** The record's `type`; a file with another one is not ours. */
const STATE_TYPE = 'swarmcdn/publish-state@1';
/** 64 KiB: the record is one short line; anything larger is not a record. */
const MAX_STATE_BYTES = 64 * 1024;

/** The hex SHA-256 of bytes or text. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The state file of a site: named by a hash of the site directory, so sites that share a key
 * directory keep separate records; a dotfile, so the origin never serves it and builds never list it.
 */
export function publishStateName(siteDir: string): string {
  return `.swarmcdn-published-${sha256Hex(siteDir).slice(0, 16)}.json`;
}

async function writable(dir: string): Promise<boolean> {
  return access(dir, constants.W_OK).then(
    () => true,
    () => false,
  );
}

/**
 * Where the record lives: `stateDir` when given (created if missing; CONFIG_INVALID if it cannot
 * be written); else the signing key's directory (private, outside the site, kept across deploys)
 * when it is writable; else the manifest file's directory, which a deploy that replaces the whole
 * site may wipe; else nowhere (undefined: a read-only deployment keeps the record in memory).
 */
export async function publishStateFile(options: Pick<ResolvedServerOptions, 'siteDir' | 'manifestFile' | 'signingKeyFile' | 'stateDir'>): Promise<string | undefined> {
  const name = publishStateName(options.siteDir);
  if (options.stateDir !== undefined) {
    await mkdir(options.stateDir, { recursive: true }).catch(() => undefined);
    if (!(await writable(options.stateDir))) throw new SwarmError('CONFIG_INVALID', `stateDir is not a writable directory: ${options.stateDir}`);
    return join(options.stateDir, name);
  }
  for (const dir of [options.signingKeyFile && dirname(options.signingKeyFile), dirname(options.manifestFile)]) {
    if (dir && (await writable(dir))) return join(dir, name);
  }
  return undefined;
}

/** Turns the file's bytes into a mark, or CONFIG_INVALID saying how to recover. */
function parseState(text: string, file: string, siteDir: string): PublishMark {
  const bad = (why: string): never => {
    throw new SwarmError('CONFIG_INVALID', `${file} is not a publish record of this site (${why}); delete it only if no visitor saw a higher version`, { file });
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return bad('not JSON');
  }
  if (typeof value !== 'object' || value === null) return bad('not an object');
  const { type, site, version, payloadSha256 } = value as Record<string, unknown>;
  if (type !== STATE_TYPE) return bad(`type is not ${STATE_TYPE}`);
  if (site !== siteDir) return bad(`it is for ${JSON.stringify(site)}`);
  if (!Number.isSafeInteger(version) || (version as number) < 1) return bad('version is not a positive integer');
  if (typeof payloadSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(payloadSha256)) return bad('payloadSha256 is not a hex SHA-256');
  return { version: version as number, payloadSha256 };
}

/** The record of one site: read once at start-up, rewritten on every higher version. */
export class PublishState {
  private constructor(
    /** The record's path; undefined when it is kept in memory only. */
    readonly file: string | undefined,
    private readonly siteDir: string,
    private mark: PublishMark | undefined,
  ) {}

  /** Reads the record (none yet is fine); CONFIG_INVALID when it exists but is not one. Without a file, memory only. */
  static async open(file: string | undefined, siteDir: string): Promise<PublishState> {
    if (file === undefined) return new PublishState(undefined, siteDir, undefined);
    let text: string;
    try {
      const handle = await open(file, 'r');
      try {
        const buffer = Buffer.alloc(MAX_STATE_BYTES + 1);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
        if (bytesRead > MAX_STATE_BYTES) throw new SwarmError('CONFIG_INVALID', `${file} is larger than a publish record can be`, { file });
        text = buffer.subarray(0, bytesRead).toString('utf8');
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new PublishState(file, siteDir, undefined);
      if (error instanceof SwarmError) throw error;
      throw new SwarmError('CONFIG_INVALID', `cannot read the publish record ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { file });
    }
    return new PublishState(file, siteDir, parseState(text, file, siteDir));
  }

  /** The highest version published so far (before a restart too), if any. */
  get highest(): PublishMark | undefined {
    return this.mark;
  }

  /** Records a higher version durably; OUTPUT_FAILED when it cannot (then it must not be published). */
  async record(mark: PublishMark): Promise<void> {
    if (this.file === undefined) {
      this.mark = mark;
      return;
    }
    const record = { type: STATE_TYPE, site: this.siteDir, version: mark.version, payloadSha256: mark.payloadSha256, publishedAt: new Date().toISOString() };
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const handle = await open(tmp, 'w', 0o644);
      try {
        await handle.writeFile(JSON.stringify(record) + '\n');
        // On disk before the rename: a power cut must not leave an empty record behind a published version.
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.file);
    } catch (error) {
      await rm(tmp, { force: true });
      throw new SwarmError('OUTPUT_FAILED', `cannot record published version ${mark.version} in ${this.file}: ${(error as Error).message}`, { file: this.file });
    }
    this.mark = mark;
  }
}

