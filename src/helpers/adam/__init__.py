"""The analysis datasets (ADaM-like ADSL, ADQS, ADAE, ADTTE) derived from the typed study data:
one named derivation per variable or parameter, its rule in its docstring."""
