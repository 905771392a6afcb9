"""Studies that run the model: `compare` (exit strategies side by side) and `advise` (search for the best exit
plan). Their runs go through the one executor (`lcsim.experiments.executor`); what they read back is
`lcsim.analysis`, which never runs the model.

    lcsim.compare("fragile", replicates=100)      # lcsim.studies.compare.compare
    lcsim.advise("mexico-csa", budget=40)         # lcsim.studies.advise.advise
"""
