"""Collector of (synthetic) forced liquidations: run with `python -m apis.collectors.liquidations`."""
import random

from apis.collectors.common import SYMBOLS, Prices, run

prices = Prices()


def make_record():
    symbol = random.choice(SYMBOLS)
    return {
        "symbol": symbol,
        "side": random.choice(["long", "short"]),  # which side was liquidated
        "price": prices.next(symbol),
        "qty": round(random.uniform(0.01, 5), 3),
    }


if __name__ == "__main__":
    run("liquidations", make_record, every=1.0)
