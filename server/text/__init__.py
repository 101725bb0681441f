"""Message text: normalisation, extraction of links, phones and wallets, model features."""
