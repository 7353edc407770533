/**
 * `npm run rotate-origin-secret`: rotates local mode's origin-verify value with the deployed
 * rotation's four steps (lambda/core/origin-secret-rotation.ts) against the local folder. A
 * running `npm start` keeps answering throughout: its authorizer and API accept the pending and
 * the previous value while its edge switches over. Environment: STREAMGATE_LOCAL_DIR.
 */
import { localDir } from './idp/defaults';
import { rotateLocalOriginSecret } from './origin-secret';

if (require.main === module) {
  rotateLocalOriginSecret(localDir()).then(
    () =>
      console.log(
        'rotate-origin-secret: the edge now sends the new value; the old one stays accepted until the next rotation',
      ),
    (error: unknown) => {
      console.error(`rotate-origin-secret failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
