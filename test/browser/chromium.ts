/** Launches the Chromium that test/support/browser-binary.ts finds, for playwright-core. */
import { chromium, type Browser } from 'playwright-core';
import { chromiumBinary } from '../support/browser-binary';

/** The project's own switches, on any build: the closed network here refuses Chromium's background connections. */
const PROJECT_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

export async function launchChromium(): Promise<Browser> {
  const binary = await chromiumBinary();
  return chromium.launch({
    executablePath: binary.executablePath,
    headless: true,
    args: [...PROJECT_ARGS, ...binary.args.filter((arg) => !PROJECT_ARGS.includes(arg))],
    env: { ...process.env, ...binary.env },
  });
}
