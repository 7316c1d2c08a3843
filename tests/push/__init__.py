"""Test helpers for web push: the real mock push service (npm `web-push-testing`, installed here by
`make push-testing`), a small recording HTTP peer that answers as a script says, and the HTTP
steps of a report's life.

No asserts in these modules: pytest rewrites asserts only in test modules and plugins; helpers
raise with a message instead."""
