/**
 * Local mode's key type (STREAMGATE_KEY_ALGORITHM): a new folder gets a key of the type asked
 * for; a folder of the other type is switched by the rotation's own steps, the old key still
 * trusted; a switch that would have to wait out an earlier rotation's overlap is refused in one
 * sentence that says what to run.
 */
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cloudFrontKeyAlgorithmOf } from '../../lambda/core/cloudfront-key-types';
import { localKeyAlgorithm } from '../../local/cloudfront-keys';
import { ensureLocalKeyAlgorithm } from '../../local/signing-key-rotation';

const activeAlgorithm = (dir: string) =>
  cloudFrontKeyAlgorithmOf(
    createPrivateKey(
      (JSON.parse(readFileSync(join(dir, 'signing-key.json'), 'utf8')) as { privateKey: string }).privateKey,
    ),
  );
const trustedIds = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, 'key-group.json'), 'utf8')) as { keys: { id: string }[] }).keys.map((k) => k.id);

test('a new folder, a switch by rotation (both keys trusted), and a second switch inside the overlap refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-key-algorithm-'));
  const first = await ensureLocalKeyAlgorithm({ dir, algorithm: 'ECDSA_P256', signedTtlSeconds: 300 });
  expect(activeAlgorithm(dir)).toBe('ECDSA_P256');
  expect(trustedIds(dir)).toEqual([first.keyPairId]);

  const switched: unknown[] = [];
  const second = await ensureLocalKeyAlgorithm({
    dir,
    algorithm: 'RSA_2048',
    signedTtlSeconds: 300,
    onSwitch: (from) => switched.push(from),
  });
  expect(switched).toEqual(['ECDSA_P256']);
  expect(activeAlgorithm(dir)).toBe('RSA_2048');
  expect(second.keyPairId).not.toBe(first.keyPairId);
  expect(trustedIds(dir)).toEqual([first.keyPairId, second.keyPairId]);

  // Asking for what the folder has is no rotation.
  expect((await ensureLocalKeyAlgorithm({ dir, algorithm: 'RSA_2048', signedTtlSeconds: 300 })).keyPairId).toBe(
    second.keyPairId,
  );
  await expect(ensureLocalKeyAlgorithm({ dir, algorithm: 'ECDSA_P256', signedTtlSeconds: 300 })).rejects.toThrow(
    `STREAMGATE_KEY_ALGORITHM=ECDSA_P256: ${dir} signs with RSA-2048 and a key rotation there is still in its overlap; run \`STREAMGATE_KEY_ALGORITHM=ECDSA_P256 npm run rotate-keys\` (it waits for it) or use another STREAMGATE_LOCAL_DIR`,
  );
  expect(activeAlgorithm(dir)).toBe('RSA_2048');
}, 30000);

test('the variable takes the deploy config’s names, RSA_2048 when unset, and names itself when wrong', () => {
  expect(localKeyAlgorithm(undefined)).toBe('RSA_2048');
  expect(localKeyAlgorithm('')).toBe('RSA_2048');
  expect(localKeyAlgorithm('ECDSA_P256')).toBe('ECDSA_P256');
  expect(() => localKeyAlgorithm('ecdsa_p256')).toThrow(
    'STREAMGATE_KEY_ALGORITHM: must be one of RSA_2048, ECDSA_P256, got "ecdsa_p256"',
  );
});
