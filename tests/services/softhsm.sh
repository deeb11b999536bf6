# SoftHSM2 for the PKCS#11 (HSM) key tests: tests/MobileJpki.Pki.Tests/Pkcs11 and the `mjpki ca init` CLI tests.
# Nothing to start and no variable to export: every test creates its own tokens under a private SOFTHSM2_CONF.
packages+=(softhsm2)
