import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The AWS SDK's notice that its 2027 releases need Node 22 (README supports Node 20): not news in every test file.
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // Every hit of the decoded-channel cache is decoded again and compared (shared/manager/channel-entry.ts).
      STORMCELL_CHECK_DECODED_CHANNELS: '1',
    },
  },
});
