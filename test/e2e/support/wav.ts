/**
 * A deterministic, valid WAV file (RIFF/WAVE, one `fmt ` chunk for 16-bit PCM, one `data` chunk)
 * for the media-element tests: an <audio> element plays it with no codec beyond what every
 * Chromium build has, and seeks in it by byte offset, which makes its loader send Range requests.
 */
import { bytesOf } from '../../support/cli.js';

/** 16-bit mono PCM: the sample rate fixes bytes per second, so a duration maps to a byte offset. */
export const WAV_FORMAT = Object.freeze({ sampleRate: 22_050, channels: 1, bitsPerSample: 16 });
/** Bytes before the samples. */
export const WAV_HEADER_BYTES = 44;

/** A WAV of `seconds` of seeded noise (quiet: every sample's high byte is cleared). */
export function makeWav(seconds: number, seed: number): Buffer {
  const { sampleRate, channels, bitsPerSample } = WAV_FORMAT;
  const blockAlign = (channels * bitsPerSample) / 8;
  const byteRate = sampleRate * blockAlign;
  const dataBytes = Math.round(seconds * sampleRate) * blockAlign;
  const samples = bytesOf(dataBytes, seed);
  // Little-endian 16-bit samples: clearing the high byte keeps them small (the content is irrelevant).
  for (let i = 1; i < samples.length; i += 2) samples[i] = 0;
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'latin1');
  header.write('fmt ', 12, 'latin1');
  header.writeUInt32LE(16, 16); // fmt chunk size for PCM
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(byteRate, 28);
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(bitsPerSample, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(dataBytes, 40);
  return Buffer.concat([header, samples]);
}
