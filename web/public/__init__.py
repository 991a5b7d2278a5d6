"""The public pages: home, /tools/ (score converter), /statistics/, /healthz, /livez and
/.well-known/did.json. No login, so no gate."""
