// `testTimeout` inside a jest project is ignored (it is a global option), so integration tests ran
// with the 5 s default: under load, real pi processes and graceful server shutdowns (~4 s for two
// members) exceeded it. This applies the integration project's intended 60 s.
jest.setTimeout(60000);
