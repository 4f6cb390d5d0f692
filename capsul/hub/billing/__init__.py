"""Prepaid billing: the ledger (payments in, hourly charges out), metering, running low.

    ledger.py       balances, manual credits/debits, crediting provider payments once
    metering.py     the hourly run that charges every capsul for every started hour, once
"""
