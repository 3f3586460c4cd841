"""Jobs: photos waiting for x-rays, their result slots and the doctor's decision."""
