# Chromium for the browser tests of the UI (tests/MobileJpki.Web.Tests): Debian's package, driven by Playwright for
# .NET through its executable path, so Playwright never downloads a browser; Noto CJK so the screenshots show
# Japanese rather than empty boxes. No daemon.
packages+=(chromium fonts-noto-cjk)
