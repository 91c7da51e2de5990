build-stress/obj/src/formats/err.o: src/formats/err.c \
 include/macext/err.h
include/macext/err.h:
