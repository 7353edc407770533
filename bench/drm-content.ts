/**
 * Local DRM packaging cost: encrypting one demo-3 segment with the CENC encrypter (box walk,
 * NAL parsing, subsamples, one AES-CTR stream per sample, senc/saiz/saio, offsets) against two
 * floors over the same bytes: AES-128-CTR in one call, and one AES-128-CTR stream per sample
 * (what `cenc` itself requires: each sample starts its own counter at its IV).
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encryptFragments, encryptInitSegment, IvSequence } from '../local/drm/cenc-encrypter';
import { alternating, report } from './measure';
import { fragmentSamples } from '../test/drm/cenc-inspect';

const SOURCE = resolve(__dirname, '..', 'local', 'content', 'cmaf', 'demo-3');

export async function benchDrmContent(seconds: number): Promise<void> {
  const key = { kid: randomBytes(16), key: randomBytes(16) };
  const { track } = encryptInitSegment(readFileSync(join(SOURCE, 'init.mp4')), key);
  const segment = readFileSync(join(SOURCE, 'segment_001.m4s'));
  const ivs = new IvSequence();
  // The samples' places, read from an encrypted copy (same mdat layout as the clear segment).
  const samples = fragmentSamples(encryptFragments(segment, track, key, new IvSequence())).flat();
  const iv = Buffer.alloc(16);
  console.log(
    `DRM content: one ${Math.round(segment.length / 1024)} KiB CMAF segment of ${samples.length} samples, in process`,
  );
  const [whole, perSample, cenc] = await alternating(
    [
      [
        'AES-128-CTR over the whole segment, one call',
        () => createCipheriv('aes-128-ctr', key.key, iv).update(segment),
      ],
      [
        'AES-128-CTR, one stream per sample (cenc floor)',
        () => {
          for (const sample of samples)
            createCipheriv('aes-128-ctr', key.key, iv).update(segment.subarray(sample.at, sample.at + sample.size));
        },
      ],
      ['CENC encrypter (subsamples, senc/saiz/saio)', () => encryptFragments(segment, track, key, ivs)],
    ],
    3,
    seconds / 3,
    1,
  );
  report(whole, [perSample, cenc]);
  report(perSample, [cenc]);
}
