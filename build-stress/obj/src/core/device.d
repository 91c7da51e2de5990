build-stress/obj/src/core/device.o: src/core/device.c \
 include/macext/core.h include/macext/err.h
include/macext/core.h:
include/macext/err.h:
