/** Test helpers other packages' suites use: headless Chromium and a real `harness up`. */
export {
  canvasHasInk,
  chromiumPath,
  launchChromium,
  noChromiumReason,
  screenshotPath,
  watchedPage,
} from './chromium.ts'
export { harnessUpEnv, type RunningHarness, startHarnessUp } from './harness-up.ts'
