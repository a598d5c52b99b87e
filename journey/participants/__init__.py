"""The participants registry: the core record of every migrant in a programme."""
