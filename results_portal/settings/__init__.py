"""Settings split by use: ``base`` (shared, read from the environment), ``local``, ``production``, ``test``."""
