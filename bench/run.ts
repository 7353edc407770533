/** `npm run bench`: every benchmark, each reporting ratios against a baseline from the same run. */
import { benchAccessLayers } from './access-layers';
import { benchAuthorize } from './authorize';
import { benchAbuse } from './abuse';
import { benchChurn } from './churn';
import { benchColdStart } from './cold-start';
import { benchDrmContent } from './drm-content';
import { benchEdge } from './edge';
import { benchEdgeRevocation } from './edge-revocation';
import { benchLatency } from './latency';
import { benchLicence } from './licence';
import { benchLive } from './live';
import { benchWriteUnits } from './write-units';

async function main(): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? '2');
  await benchAuthorize(seconds);
  await benchEdge(seconds);
  await benchEdgeRevocation();
  await benchAccessLayers(seconds);
  await benchLive(seconds);
  await benchAbuse(seconds);
  await benchLatency(seconds);
  await benchLicence(seconds);
  await benchColdStart();
  await benchDrmContent(seconds);
  await benchWriteUnits();
  await benchChurn();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
