"""What a run needs beyond its assets: its working dir, the warehouse locks, its owner process, dlt's settings for it."""
