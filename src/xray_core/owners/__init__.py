"""Owners: the families behind the QR codes and what was confirmed for them."""
