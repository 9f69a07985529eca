"""Settings: the config file's loader and schema errors, and the template `relcheck init` writes."""
