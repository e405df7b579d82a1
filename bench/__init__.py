"""`make bench`: this assistant against Rasa's stock bot, written to docs/BENCHMARK.md."""
