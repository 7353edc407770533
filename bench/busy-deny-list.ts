/** A deny-list as a busy day leaves it: `count` revoked grants (none of the bench viewer's), for the edge benches. */
import { randomBytes } from 'node:crypto';
import type { LocalStack } from '../local/stack';

export async function fillDenyList(stack: LocalStack, count = 10000): Promise<void> {
  const expiresAt = Math.floor(Date.now() / 1000) + 3600;
  await stack.denyList?.put(
    Array.from({ length: count }, () => ({
      key: randomBytes(16).toString('base64url').slice(0, 22),
      reason: 'revoked' as const,
      expiresAt,
    })),
  );
}
