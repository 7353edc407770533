/** Imported first by `npm start`, so the AWS SDK's start-up warning lands in the banner (local/banner.ts). */
import { collectStartupWarnings } from './banner';

export const startupWarnings = collectStartupWarnings();
