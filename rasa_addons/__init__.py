"""Project code that the Rasa server loads: the channels (credentials.yml), NLU components,
the response generator, the tracker store, and the patches to Rasa itself (installed by
rasa_addons.patches.install, which the response generator calls; importing a module here
changes nothing).
"""
