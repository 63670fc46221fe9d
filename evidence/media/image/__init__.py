"""Images: analysis of stills, pixels, regions and geometry."""
