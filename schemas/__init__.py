"""What a correct form and a correct table are: the form model, the checks that recompute it,
and the pandera models of the warehouse tables."""
