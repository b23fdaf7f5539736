"""Neural synthesizers and what they share: the data layout, torch plumbing, the training loop.

Everything here imports torch only inside functions, so that ``datatwin`` works without the
``deep`` extra and says how to install it when a neural model is asked to fit.
"""
