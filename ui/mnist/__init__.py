"""The MNIST page's parts: its trainings in the queue (``jobs``) and its sections."""
