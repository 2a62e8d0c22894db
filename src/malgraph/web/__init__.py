"""The local web explorer (`malgraph serve`): a read-only FastAPI app over a store."""
