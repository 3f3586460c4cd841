"""The fracture tool: the doctor paints a stroke on a result and a fracture is drawn there."""
