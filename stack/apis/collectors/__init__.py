"""Three market-data collectors. Each runs forever in its own container and pushes
SYNTHETIC records (no internet needed) into Redis database 1, one list per source."""
