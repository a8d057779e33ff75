"""Pure computation: config, datasets, the dropout network, training and export. No Qt here."""
